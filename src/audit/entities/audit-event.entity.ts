import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const AUDIT_ACTOR_TYPES = ['user', 'api_key', 'system', 'anonymous'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];
export const AUDIT_OUTCOMES = ['success', 'denied', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditChanges {
  before: object | null;
  after: object | null;
}

@Entity('audit_events')
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', nullable: true })
  seq!: string | null;

  @Column({ type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ type: 'varchar' })
  actorType!: AuditActorType;

  @Column({ type: 'varchar', nullable: true })
  actorId!: string | null;

  @Column({ type: 'varchar', nullable: true })
  actorDisplay!: string | null;

  @Column({ type: 'varchar' })
  action!: string;

  @Column({ type: 'varchar' })
  resourceType!: string;

  @Column({ type: 'varchar', nullable: true })
  resourceId!: string | null;

  @Column({ type: 'varchar' })
  outcome!: AuditOutcome;

  @Column({ type: 'varchar', nullable: true })
  requestId!: string | null;

  @Column({ type: 'varchar', nullable: true })
  ip!: string | null;

  @Column({ type: 'varchar', nullable: true })
  userAgent!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  changes!: AuditChanges | null;

  @Column({ type: 'jsonb' })
  metadata!: object;

  @Column({ type: 'char', nullable: true })
  hash!: string | null;

  @Column({ type: 'char', nullable: true })
  prevHash!: string | null;
}
