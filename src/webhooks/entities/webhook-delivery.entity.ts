import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

@Entity('webhook_deliveries')
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  endpointId!: string;

  /** The audit event's id: `webhook-id` and the payload's `id`, the same on every attempt. */
  @Column({ type: 'uuid' })
  eventId!: string;

  @Column({ type: 'varchar' })
  type!: string;

  /** The exact JSON sent, so that every retry carries the same bytes. */
  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'varchar' })
  status!: DeliveryStatus;

  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ type: 'smallint', nullable: true })
  lastStatusCode!: number | null;

  @Column({ type: 'varchar', nullable: true })
  lastError!: string | null;

  @Column({ type: 'timestamptz' })
  nextAttemptAt!: Date;

  /** While set and in the future, an instance is sending it; afterwards anyone may take it over. */
  @Column({ type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  /** When the change committed (its audit event's time): the start of the delivery latency. */
  @Column({ type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}
