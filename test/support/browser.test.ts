import { afterEach, describe, expect, it, vi } from "vitest";
import { hasChromium, runsJourneys } from "./browser";

describe("which browser journeys a run walks (BROWSER_JOURNEYS)", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const walks = (value: string | undefined) => {
    vi.stubEnv("BROWSER_JOURNEYS", value);
    return { pgliteShare: runsJourneys({ pgliteShare: true }), others: runsJourneys() };
  };

  it("walks every journey wherever Chromium is, unless told otherwise", () => {
    const chromium = hasChromium();
    expect(walks(undefined)).toEqual({ pgliteShare: chromium, others: chromium });
    expect(walks("on")).toEqual({ pgliteShare: chromium, others: chromium });
  });

  it("splits the journeys between CI's two passes, each walked by exactly one, and walks none when off", () => {
    const chromium = hasChromium();
    expect(walks("pglite-share")).toEqual({ pgliteShare: chromium, others: false });
    expect(walks("postgres-share")).toEqual({ pgliteShare: false, others: chromium });
    expect(walks("off")).toEqual({ pgliteShare: false, others: false });
  });

  it("refuses a value it does not know, rather than walk every journey in both passes", () => {
    expect(() => walks("pglite_share")).toThrow(
      "BROWSER_JOURNEYS=pglite_share: use on, off, pglite-share or postgres-share",
    );
  });
});
