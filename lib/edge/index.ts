// The edge: one set of props, rendered per ingress controller / gateway.
export * from './edge';
export * from './edge-props';
export * from './edge-factory';
export * from './ingress-nginx-edge';
export * from './nginx-inc-edge';
export * from './traefik-edge';
export * from './gateway-api-edge';
