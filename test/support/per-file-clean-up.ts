import { afterAll } from "vitest";
import { stopLeftoverApps } from "./app-process";

// A setup file runs again for every test file, although a worker keeps other modules between files (vitest.config.ts).
afterAll(stopLeftoverApps);
