import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A user's identity at one OpenID Connect provider: (provider, `sub`). */
@Entity('user_identities')
export class UserIdentity {
  @PrimaryColumn({ type: 'varchar' })
  provider!: string;

  @PrimaryColumn({ type: 'varchar' })
  subject!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  lastLoginAt!: Date;
}
