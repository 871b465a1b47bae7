/**
 * The edge where a distributor's time meets the rules (R9): a request or outage time written in the
 * file — Europe/Paris wall-clock time ("2026-03-29T21:30", "2026-03-29 21:30:00") or an instant with
 * its offset ("2026-03-29T21:30:00+02:00", "…Z") — parsed with luxon in the zone, once, here.
 * Daylight-saving days: a wall time that does not exist (the spring-forward hour, 02:00–02:59 on the
 * last Sunday of March) is refused; one that happens twice (02:00–02:59 on the last Sunday of
 * October) is refused unless written with its offset. The rules get the wall time (date + "HH:mm:ss")
 * and the instant (ISO with offset) for durations.
 */
import { DateTime } from "luxon";

const PARIS = "Europe/Paris";
const LOCAL = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;
const WITH_OFFSET = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export interface ParisTime {
  readonly wall: { readonly date: string; readonly time: string };
  /** ISO instant with its Paris offset. */
  readonly instant: string;
}

export type ParisTimeResult = { readonly ok: true; readonly value: ParisTime } | { readonly ok: false; readonly reason: string };

const of = (dt: DateTime): ParisTime => {
  const p = dt.setZone(PARIS);
  return { wall: { date: p.toISODate()!, time: p.toFormat("HH:mm:ss") }, instant: p.toISO({ suppressMilliseconds: true })! };
};

export function parseParisTime(text: string): ParisTimeResult {
  const s = text.trim();
  if (WITH_OFFSET.test(s)) {
    const dt = DateTime.fromISO(s.replace(" ", "T"), { setZone: true });
    return dt.isValid ? { ok: true, value: of(dt) } : { ok: false, reason: `"${s}" is not a valid time (${dt.invalidExplanation ?? dt.invalidReason})` };
  }
  const m = LOCAL.exec(s);
  if (!m) return { ok: false, reason: `"${s}" is not a time written YYYY-MM-DDTHH:mm[:ss] (Europe/Paris) or with an offset` };
  const [, date, hh, mm, ss = "00"] = m;
  const wall = `${date}T${hh}:${mm}:${ss}`;
  const dt = DateTime.fromISO(wall, { zone: PARIS });
  if (!dt.isValid) return { ok: false, reason: `"${s}" is not a valid time (${dt.invalidExplanation ?? dt.invalidReason})` };
  if (dt.toFormat("yyyy-MM-dd'T'HH:mm:ss") !== wall) {
    return { ok: false, reason: `"${s}" does not exist in Europe/Paris (clocks go forward that night): write the instant with its offset` };
  }
  const winter = DateTime.fromISO(`${wall}+01:00`, { setZone: true }).setZone(PARIS);
  const summer = DateTime.fromISO(`${wall}+02:00`, { setZone: true }).setZone(PARIS);
  const same = (d: DateTime) => d.toFormat("yyyy-MM-dd'T'HH:mm:ss") === wall;
  if (same(winter) && same(summer)) {
    return { ok: false, reason: `"${s}" happens twice in Europe/Paris (clocks go back that night): write it with its offset (+02:00 the first time, +01:00 the second)` };
  }
  return { ok: true, value: of(dt) };
}
