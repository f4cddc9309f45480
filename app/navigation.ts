import type { Role } from "~db/schema";

export type NavItem = { href: string; label: string };

/** Navigation by role; the server still checks every page, this only decides what to offer. */
export function navigationFor(user: { role: Role; isChampion: boolean }): NavItem[] {
  const items: NavItem[] = [
    { href: "/", label: "Home" },
    { href: "/training", label: "Training" },
    { href: "/code-of-conduct", label: "Code of conduct" },
    { href: "/records", label: "Your records" },
  ];
  if (user.isChampion || user.role === "hr" || user.role === "admin") items.push({ href: "/teams", label: "Teams" });
  if (user.role === "hr") items.push({ href: "/hr", label: "HR" });
  if (user.role === "admin")
    items.push({ href: "/admin/people", label: "People" }, { href: "/admin/requirements", label: "Requirements" });
  return items;
}
