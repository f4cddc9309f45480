import { describeEveryPage } from "../support/every-page";

// Every page, opened by a visitor and by each role of the first council (test/support/every-page.ts says how).
await describeEveryPage("first council");
