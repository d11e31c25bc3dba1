// Two projects: `unit` (pure logic beside the code) and `e2e` (real Postgres, Redis, BullMQ,
// Socket.IO and SMTP; one fresh database per run, created from the migrations).
const swc = [
  '@swc/jest',
  {
    // .swcrc excludes specs from the build; tests are transformed with these options instead.
    swcrc: false,
    jsc: {
      parser: { syntax: 'typescript', decorators: true, dynamicImport: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];
const libs = ['core', 'identity', 'tickets', 'inbox', 'sla', 'surveys', 'retention', 'webhooks'];
const moduleNameMapper = {
  ...Object.fromEntries(libs.map((l) => [`^@keepdesk/${l}$`, `<rootDir>/libs/${l}/src/index.ts`])),
  '^@keepdesk/schema$': '<rootDir>/migrations/schema.ts',
  '^@keepdesk/testing$': '<rootDir>/test/support/index.ts',
};
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|file-type|uint8array-extras|strtok3|token-types|@tokenizer|@borewit|content-disposition|@electric-sql)/)',
  ],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper,
};
module.exports = {
  testTimeout: 30000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,bench,migrations}/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
