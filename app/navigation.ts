import type { Role } from "~db/schema";

export type NavItem = { href: string; label: string };

/**
 * The admin pages, listed on the Admin page (/admin) rather than in the header, so the header stays on one line
 * at 1280 px however many admin pages there are. A new admin page adds its line here.
 */
export const ADMIN_PAGES: (NavItem & { description: string })[] = [
  {
    href: "/admin/people",
    label: "People",
    description:
      "Find a person by name, e-mail or employee number; move them to another team, change their role, give them a one-time link to set their password, deactivate or reactivate them.",
  },
  {
    href: "/admin/teams",
    label: "Teams and champions",
    description: "Create, rename and close teams, and name or remove each team's champions.",
  },
  {
    href: "/admin/email-changes",
    label: "Email changes",
    description: "Changes of e-mail address that people have asked for, to accept or refuse.",
  },
  {
    href: "/admin/requirements",
    label: "Requirements and reminders",
    description:
      "How long people have to complete each requirement, how often they renew it, and how often they are reminded.",
  },
  {
    href: "/admin/retention",
    label: "Retention",
    description:
      "How long certificates and staff roster files about people who have left are kept before they are deleted.",
  },
  {
    href: "/admin/ledger-witness",
    label: "Ledger witness",
    description:
      "An e-mail address outside the service (HR, internal audit) to which each day's signed checkpoint of the council's signed records is sent, to check the records against later.",
  },
  {
    href: "/admin/audit",
    label: "Audit log",
    description: "Everything done in your council that the service records, filtered by who, what and when.",
  },
  {
    href: "/admin/policy",
    label: "Code of conduct",
    description: "Publish a new version of the code of conduct, after seeing it and what changed.",
  },
  {
    href: "/admin/modules",
    label: "Training modules",
    description: "Upload a training module, check and preview it, and publish it as a new version.",
  },
  {
    href: "/admin/sign-in",
    label: "Sign-in",
    description: "Your council's identity provider for single sign-on, and whether staff may still use a password.",
  },
];

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
  if (user.role === "admin") items.push({ href: "/admin", label: "Admin" });
  return items;
}

/** An assisted session's menu (decision 0025): the person's training and signing, then nothing but its own page. */
export function assistedNavigation(assisted: { signed: boolean }): NavItem[] {
  if (assisted.signed) return [{ href: "/assisted", label: "Your signed record" }];
  return [
    { href: "/assisted", label: "Assisted session" },
    { href: "/training", label: "Training" },
    { href: "/code-of-conduct", label: "Code of conduct" },
  ];
}

/**
 * Which item the page at `pathname` is under: "page" when it is that item's own page, "true" when it is a page
 * within it (GOV.UK service navigation's aria-current values). Home is current only on itself.
 */
export function currentItem(items: NavItem[], pathname: string): { href: string; current: "page" | "true" } | null {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
  let best: NavItem | null = null;
  for (const item of items) {
    const within = item.href === "/" ? path === "/" : path === item.href || path.startsWith(`${item.href}/`);
    if (within && (!best || item.href.length > best.href.length)) best = item;
  }
  return best ? { href: best.href, current: path === best.href ? "page" : "true" } : null;
}
