import { describe, expect, it } from "vitest";
import { pageItems } from "./pagination";

describe("the pages pagination offers", () => {
  it("shows every page when there are few", () => {
    expect(pageItems(1, 1)).toEqual([1]);
    expect(pageItems(2, 3)).toEqual([1, 2, 3]);
    expect(pageItems(1, 4)).toEqual([1, 2, 3, 4]);
  });

  it("shows the first, the last and the current page with its neighbours, a gap marked where pages are left out", () => {
    expect(pageItems(1, 10)).toEqual([1, 2, null, 10]);
    expect(pageItems(5, 10)).toEqual([1, null, 4, 5, 6, null, 10]);
    expect(pageItems(10, 10)).toEqual([1, null, 9, 10]);
    // A gap of a single page shows that page instead of an ellipsis.
    expect(pageItems(4, 10)).toEqual([1, 2, 3, 4, 5, null, 10]);
  });
});
