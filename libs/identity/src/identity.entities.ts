import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Stored lower-cased: logins and uniqueness are case-insensitive. */
  @Index('UQ_users_email', { unique: true })
  @Column('text')
  email: string;

  @Column('text')
  name: string;

  @Column('text', { name: 'password_hash' })
  passwordHash: string;

  @Column('text')
  role: string;

  /** Open tickets an agent may hold before round-robin skips them. */
  @Column('int', { default: 10 })
  capacity: number;

  /** Marked available through the API; with a live inbox connection it makes an agent eligible. */
  @Column('boolean', { default: false })
  available: boolean;

  @Column('boolean', { default: true })
  active: boolean;

  @Column('timestamptz', { name: 'last_assigned_at', nullable: true })
  lastAssignedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

@Entity('teams')
export class TeamEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('UQ_teams_name', { unique: true })
  @Column('text')
  name: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

@Entity('team_members')
export class TeamMemberEntity {
  @PrimaryColumn('uuid', { name: 'team_id' })
  teamId: string;

  @Index('IDX_team_members_user')
  @PrimaryColumn('uuid', { name: 'user_id' })
  userId: string;

  @ManyToOne(() => TeamEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'team_id' })
  team?: TeamEntity;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;
}

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  /** sha256 of the key: keys are random 256-bit values, so a fast hash is enough and lookups stay O(1). */
  @Index('UQ_api_keys_hash', { unique: true })
  @Column('text', { name: 'key_hash' })
  keyHash: string;

  /** First characters of the key, to recognise it in lists. */
  @Column('text')
  prefix: string;

  @Column('uuid', { name: 'created_by', nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}

export const IDENTITY_ENTITIES = [UserEntity, TeamEntity, TeamMemberEntity, ApiKeyEntity];
