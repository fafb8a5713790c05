import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import Redis from 'ioredis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap/create-app';
import { loadAppConfig } from '../../src/config/app-config';
import { createTestDatabase, TestDatabase } from './test-database';

export const ADMIN_EMAIL = 'admin@bastion.test';
export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface TestInstance {
  app: NestFastifyApplication;
  url: string;
  dataSource: DataSource;
  http(): ReturnType<typeof request>;
  close(): Promise<void>;
}

/**
 * One test file's world: its own database and Redis key space, shared by every app instance it
 * starts (several instances exercise cross-instance guarantees).
 */
export class TestEnvironment {
  private readonly instances: TestInstance[] = [];

  private constructor(
    private readonly database: TestDatabase,
    private readonly dataDir: string,
    readonly redisPrefix: string,
  ) {}

  static async create(): Promise<TestEnvironment> {
    const database = await createTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), 'bastion-test-'));
    return new TestEnvironment(database, dataDir, `test:${randomUUID()}:`);
  }

  /** This environment's PostgreSQL database as the owner role; undefined on embedded PGlite. */
  get databaseUrl(): string | undefined {
    return this.database.url;
  }

  /**
   * Starts an app instance on this environment's database; `env` overrides variables. On
   * embedded PGlite each instance has a database of its own, so it keeps its anchors apart too.
   */
  async start(env: Record<string, string> = {}): Promise<TestInstance> {
    const config = loadAppConfig({
      NODE_ENV: 'test',
      DATA_DIR: this.dataDir,
      DATABASE_URL: this.database.url,
      ...(this.database.url
        ? {}
        : { AUDIT_ANCHOR_DIR: join(this.dataDir, 'audit-anchors', randomUUID()) }),
      REDIS_URL: process.env.REDIS_URL,
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'silent',
      REDIS_KEY_PREFIX: this.redisPrefix,
      ...env,
    });
    const app = await createApp({ config, embeddedSeed: this.database.embeddedSeed });
    // A fixed PORT when the test must know the URL before the start (an IdP's callback origin).
    await app.listen({ port: env.PORT ? Number(env.PORT) : 0, host: '127.0.0.1' });
    const address = app.getHttpServer().address() as { port: number };
    const url = `http://127.0.0.1:${address.port}`;
    const instance: TestInstance = {
      app,
      url,
      dataSource: app.get<DataSource>(getDataSourceToken()),
      http: () => request(url),
      close: async () => {
        this.instances.splice(this.instances.indexOf(instance), 1);
        await app.close();
      },
    };
    this.instances.push(instance);
    return instance;
  }

  async close(): Promise<void> {
    for (const instance of [...this.instances]) await instance.close();
    await this.database.drop();
    await rm(this.dataDir, { recursive: true, force: true });
    if (process.env.REDIS_URL) {
      const redis = new Redis(process.env.REDIS_URL);
      const keys = await redis.keys(`${this.redisPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  }
}
