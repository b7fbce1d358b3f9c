// s3rver ships no type declarations; test/support/local-s3.ts types the parts it uses.
declare module 's3rver';
