import { describe, expect, it } from "vitest";
import { personStatus } from "~/tracking/status.server";
import { freshDatabase } from "../../test/support/database";
import { aPerson, aPolicyVersion, aSignature, aTeam, anOrganisation } from "../../test/support/factories";
import { currentPolicyVersion } from "./policies.server";
import { validSignature } from "./signing.server";

/**
 * Two homes read "which signatures satisfy the code of conduct": the status query (reports, dashboards) and
 * signing (whether someone must sign again). This holds them equal over many made-up histories of versions,
 * some requiring everyone to sign again and some not, and of signatures on them, as the ledger's test holds
 * CANONICAL_SQL to the hashing in JavaScript.
 */

const database = await freshDatabase();
const db = database.db;

/** A small seeded generator, so a failing history can be run again. */
function generator(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return { below: (n: number) => Math.floor(next() * n), chance: (p: number) => next() < p };
}

const day = (offset: number) => new Date(Date.UTC(2025, 0, 1) + offset * 86_400_000);
const isoDay = (offset: number) => day(offset).toISOString().slice(0, 10);

describe("the signing rule and the status query", () => {
  it("agree on whether a person holds a signature that satisfies the version in force, and on which one", async () => {
    const disagreements: string[] = [];
    let satisfied = 0;
    let compared = 0;
    for (let seed = 1; seed <= 16; seed++) {
      const random = generator(seed);
      const org = await anOrganisation(db);
      const team = await aTeam(db, org.id);
      const person = await aPerson(db, { organisationId: org.id, teamId: team.id, startDate: "2024-06-01" });
      // Versions in force on days 0 to ~500, in order; the first always binds.
      const versions = [];
      let offset = 0;
      for (let i = 0; i < 2 + random.below(3); i++) {
        versions.push({
          offset,
          version: await aPolicyVersion(db, org.id, {
            label: `${i + 1}`,
            effectiveDate: isoDay(offset),
            requiresReattestation: i === 0 || random.chance(0.5),
          }),
        });
        offset += 40 + random.below(200);
      }
      // Signatures on a version in force at the time, some of them before a later version took effect.
      const history: string[] = [];
      for (let i = 0; i < 1 + random.below(3); i++) {
        const signedOn = random.below(offset + 60);
        const inForce = versions.filter((v) => v.offset <= signedOn);
        const { version } = inForce[random.below(inForce.length)];
        await aSignature(db, person, version, new Date(day(signedOn).getTime() + 10 * 3_600_000));
        history.push(`signed v${versions.indexOf(inForce.find((v) => v.version === version)!) + 1} on day ${signedOn}`);
      }
      // Look at moments after every signature, up to beyond the renewal period.
      for (const after of [1, 90, 200, 380, 500]) {
        const now = new Date(day(offset + 60 + after).getTime() + 12 * 3_600_000);
        const current = await currentPolicyVersion(db, org.id, now.toISOString().slice(0, 10));
        const signing = await validSignature(db, person.id, current!, now);
        const row = (await personStatus(db, org.id, person.id, { now })).find((r) => r.kind === "policy");
        const status = row?.attestationReference && row.status !== "expired" ? row.attestationReference : null;
        compared++;
        if (signing) satisfied++;
        if ((signing?.reference ?? null) !== status)
          disagreements.push(
            `seed ${seed}, ${versions.map((v) => `v from day ${v.offset}${v.version.requiresReattestation ? " (all sign again)" : ""}`).join(", ")}; ${history.join(", ")}; day ${offset + 60 + after}: signing says ${signing?.reference ?? "none"}, status says ${status ?? "none"}`,
          );
      }
    }
    expect(disagreements).toEqual([]);
    // Both outcomes occur, so the comparison is not of two empty answers.
    expect(satisfied).toBeGreaterThan(0);
    expect(satisfied).toBeLessThan(compared);
  });
});
