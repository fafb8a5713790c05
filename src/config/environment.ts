import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';
import { NotCommonPassword } from '@bastion/common';

const DURATION = /^\d+(ms|s|m|h|d)?$/;
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

/** The environment as the process receives it; each property is one documented variable. */
export class Environment {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @MinLength(1)
  DATA_DIR = './data';

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' })
  MIGRATION_DATABASE_URL?: string;

  @IsOptional()
  @Matches(/^rediss?:\/\//, { message: 'must be a redis:// URL' })
  REDIS_URL?: string;

  @Matches(/^[A-Za-z0-9:_-]{0,64}$/, { message: 'must be up to 64 of A-Z a-z 0-9 : _ -' })
  REDIS_KEY_PREFIX = 'bastion:';

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  JWT_SECRET?: string;

  @Matches(DURATION, { message: 'must be a duration such as 900, 15m, 12h or 30d' })
  JWT_ACCESS_TTL = '15m';

  @Matches(DURATION, { message: 'must be a duration such as 900, 15m, 12h or 30d' })
  JWT_REFRESH_TTL = '30d';

  @IsOptional()
  @IsEmail()
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(12, { message: 'must be at least 12 characters' })
  @NotCommonPassword()
  ADMIN_PASSWORD?: string;

  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  SIGNUP_ENABLED = false;

  /** Unset: on outside production, off in production. */
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  PAYMENTS_SANDBOX?: boolean;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  SANDBOX_WEBHOOK_SECRET?: string;

  /** How long the sandbox takes to answer a charge, as a remote provider's network call would. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60_000)
  SANDBOX_LATENCY_MS = 0;

  @IsOptional()
  @Matches(/-----BEGIN PRIVATE KEY-----/, { message: 'must be an Ed25519 private key in PEM' })
  AUDIT_SIGNING_KEY?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  AUDIT_ANCHOR_DIR?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_TTL = 60;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_MAX = 300;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_RATE_LIMIT_MAX = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  CREDENTIAL_RATE_LIMIT_MAX = 20;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  METRICS_TOKEN?: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  @IsOptional()
  @Matches(/^(true|false|\d{1,2}|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)$/, {
    message: 'must be true, false, a hop count, or comma-separated proxy addresses/CIDRs',
  })
  TRUST_PROXY?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be 32 bytes encoded as base64' })
  DATA_ENCRYPTION_KEY?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86400)
  IDEMPOTENCY_LEASE_SECONDS = 30;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_DRAIN_MS?: number;

  /** JSON array of OpenID Connect providers; checked field by field in sso-config.ts. */
  @IsOptional()
  @IsString()
  SSO_PROVIDERS?: string;

  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  SSO_ONLY = false;

  /** Unset: http://localhost:<PORT>. */
  @IsOptional()
  @Matches(/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/, {
    message: 'must be an http(s):// URL with no query or fragment',
  })
  PUBLIC_URL?: string;

  /** true: webhook URLs may reach loopback and private addresses (development and tests). */
  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  WEBHOOK_ALLOW_PRIVATE_URLS = false;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3_600_000)
  WEBHOOK_RETRY_BASE_MS = 5000;

  /** Longer than the 10 s delivery timeout, so that a live attempt is never taken over. */
  @Transform(toInt)
  @IsInt()
  @Min(11)
  @Max(3600)
  WEBHOOK_LEASE_SECONDS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  WEBHOOK_ENDPOINT_CONCURRENCY = 4;
}
