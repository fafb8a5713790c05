import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';

export type WebhookEndpointStatus = 'enabled' | 'disabled';

@Entity('webhook_endpoints')
export class WebhookEndpoint {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar' })
  url!: string;

  @Column({ type: 'text', array: true })
  events!: string[];

  @Column({ type: 'varchar', nullable: true })
  description!: string | null;

  @Column({ type: 'varchar' })
  status!: WebhookEndpointStatus;

  /** The signing secret, sealed with DATA_ENCRYPTION_KEY. */
  @Column({ type: 'text', select: false })
  secret!: string;

  /** The secret before the last rotation, sealed; it keeps signing until `previousSecretUntil`. */
  @Column({ type: 'text', nullable: true, select: false })
  previousSecret!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  previousSecretUntil!: Date | null;

  /** Since when every attempt has failed; null after a success. */
  @Column({ type: 'timestamptz', nullable: true })
  failingSince!: Date | null;

  @Column({ type: 'varchar', nullable: true })
  createdBy!: string | null;

  @VersionColumn()
  version!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
