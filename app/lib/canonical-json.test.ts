import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json";

describe("canonicalJson (RFC 8785)", () => {
  it("sorts keys by UTF-16 code units at every depth and drops white space", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: "x" } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
    // "\u20ac" (€) sorts after "\r" and before "\ud83d\ude00" by code unit, as RFC 8785's example shows.
    expect(canonicalJson({ "\u20ac": 1, "\r": 2, "\ud83d\ude00": 3, "1": 4 })).toBe('{"\\r":2,"1":4,"€":1,"😀":3}');
  });

  it("writes numbers and strings as ECMAScript does", () => {
    expect(canonicalJson([1e21, 0.000001, -0, 10.5, "é\n\u0001"])).toBe('[1e+21,0.000001,0,10.5,"é\\n\\u0001"]');
  });

  it("leaves out undefined members and refuses what JSON cannot hold", () => {
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ a: () => 1 })).toThrow(TypeError);
  });
});
