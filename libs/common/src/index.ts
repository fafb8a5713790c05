export * from './problem/problem';
export * from './problem/problem-details.filter';
export * from './validation/validation.pipe';
export * from './http/request-id';
export * from './http/etag';
export * from './pagination/pagination';
export * from './context/request-context';
export * from './validation/undeclared-input.guard';
