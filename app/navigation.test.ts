import { describe, expect, it } from "vitest";
import { currentItem, navigationFor } from "./navigation";

describe("the header's navigation", () => {
  const admin = navigationFor({ role: "admin", isChampion: false });

  it("offers each role its sections, with every admin page under one Admin item", () => {
    expect(navigationFor({ role: "staff", isChampion: false }).map((i) => i.label)).toEqual([
      "Home",
      "Training",
      "Code of conduct",
      "Your records",
    ]);
    expect(navigationFor({ role: "staff", isChampion: true }).map((i) => i.label)).toContain("Teams");
    expect(navigationFor({ role: "hr", isChampion: false }).map((i) => i.label)).toEqual([
      "Home",
      "Training",
      "Code of conduct",
      "Your records",
      "Teams",
      "HR",
    ]);
    expect(admin.map((i) => i.label)).toEqual([
      "Home",
      "Training",
      "Code of conduct",
      "Your records",
      "Teams",
      "Admin",
    ]);
  });

  it("marks the item of the page, or of the section the page is in", () => {
    expect(currentItem(admin, "/")).toEqual({ href: "/", current: "page" });
    expect(currentItem(admin, "/admin")).toEqual({ href: "/admin", current: "page" });
    expect(currentItem(admin, "/admin/audit")).toEqual({ href: "/admin", current: "true" });
    expect(currentItem(admin, "/teams/")).toEqual({ href: "/teams", current: "page" });
    expect(currentItem(admin, "/teams/abc/nudge")).toEqual({ href: "/teams", current: "true" });
    expect(currentItem(admin, "/training/module/attempts/1")).toEqual({ href: "/training", current: "true" });
    expect(currentItem(admin, "/records-of-something")).toBeNull();
    expect(currentItem(admin, "/sign-in")).toBeNull();
  });
});
