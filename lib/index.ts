// Public entry point of the library. Everything users import comes from here.
export * from './errors';
export * from './secret';
export * from './network';
export * from './quantity';
export * from './proxy/config';
export * from './proxy/image';
export * from './proxy/model';
export * from './proxy/workers';
export * from './proxy/litellm-proxy';
export * from './redis/redis-endpoint';
export * from './governance/database-endpoint';
export * from './redis/redis-wiring';
export * from './edge';
export * from './redis/redis-instance';
export * from './redis/external-redis';
