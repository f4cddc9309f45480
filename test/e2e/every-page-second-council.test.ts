import { describeEveryPage } from "../support/every-page";

// Every page, opened by each role of the second council (test/support/every-page.ts says how).
await describeEveryPage("second council");
