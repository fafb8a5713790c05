export * from './permission';
export * from './principal';
export * from './ownership-scope';
export * from './decorators';
export * from './permissions.guard';
export * from './grant-rule';
export * from './credential-route';
