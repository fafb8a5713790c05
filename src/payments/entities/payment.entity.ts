import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { bigintAsNumber } from '../../orders';

export enum PaymentStatus {
  Pending = 'pending',
  RequiresAction = 'requires_action',
  Succeeded = 'succeeded',
  Failed = 'failed',
}

@Entity('payments')
export class Payment {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  orderId!: string;

  @Column({ type: 'varchar' })
  status!: PaymentStatus;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amount!: number;

  @Column({ type: 'char' })
  currency!: string;

  @Column({ type: 'varchar' })
  provider!: string;

  @Column({ type: 'varchar', nullable: true })
  providerRef!: string | null;

  @Column({ type: 'varchar', nullable: true })
  failureCode!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
