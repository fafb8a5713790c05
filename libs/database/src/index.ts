export * from './data-source';
export * from './database.module';
export * from './embedded-postgres';
export * from './shared-store/shared-store';
export * from './shared-store/memory-shared-store';
export * from './shared-store/redis-shared-store';
export * from './shared-store/shared-store.module';
export * from './shared-store/fallback-shared-store';
