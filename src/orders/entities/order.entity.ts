import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';
import { bigintAsNumber } from '../money';
import { OrderStatus } from '../order-state';
import type { OrderItemDto } from '../dto/order.dto';

@Entity('orders')
export class Order {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Assigned by the database sequence. */
  @Column({ type: 'bigint', insert: false, update: false, transformer: bigintAsNumber })
  number!: number;

  @Column({ type: 'uuid' })
  customerId!: string;

  @Column({ type: 'varchar' })
  status!: OrderStatus;

  @Column({ type: 'char' })
  currency!: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  subtotal!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  total!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amountPaid!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amountRefunded!: number;

  @Column({ type: 'varchar', nullable: true })
  note!: string | null;

  /** The items as the API shows them, in the client's order; guarded by a CHECK (migrations). */
  @Column({ type: 'json' })
  items!: OrderItemDto[];

  @VersionColumn()
  version!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
