/**
 * The studio REST API: the request function and one client per resource (like studio_ext/schemas).
 */
export * from './algorithms';
export * from './audit';
export * from './config';
export * from './endpoints';
export * from './experiments';
export * from './instanceTypes';
export * from './jobs';
export * from './models';
export * from './request';
export * from './schedules';
export * from './transform';
export * from './tuning';
