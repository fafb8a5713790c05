/**
 * For tests of several instances on one database and Redis: with the embedded defaults each
 * instance has its own in-process database, so there is nothing shared to test.
 */
export const describeShared =
  process.env.DATABASE_URL && process.env.REDIS_URL ? describe : describe.skip;
