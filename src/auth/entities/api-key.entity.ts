import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar' })
  name!: string;

  /** Public, unique part of the key, used to find it. */
  @Column({ type: 'varchar' })
  prefix!: string;

  /** SHA-256 of the secret part: keys are high-entropy, so a slow hash adds nothing. */
  @Column({ type: 'char', select: false })
  secretHash!: string;

  @Column({ type: 'text', array: true })
  permissions!: string[];

  @Column({ type: 'uuid' })
  createdBy!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;
}
