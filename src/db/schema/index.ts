export * from './auth-tokens.js';
export * from './books.js';
export * from './mail.js';
export * from './relations.js';
export * from './reviews.js';
export * from './tags.js';
export * from './tasks.js';
export * from './users.js';
