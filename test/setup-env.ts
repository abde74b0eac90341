import { inject } from "vitest";

// Runs in every test worker before its files: copies the servers' addresses that the global
// setup (test/global-setup.ts) provided into process.env, where test/support reads them.
Object.assign(process.env, inject("testEnvironment").env);
