-- R8 · CGV 4, 10.3 (docs/contract-life.md, "Known to an invoice"): the day the engine first knew a
-- contract event, when later than the day the supplier received it. An invoice counts as knowing the
-- events received on or before its issue date; an event received on day D but recorded after the
-- night of D (or later) issued an invoice on or after D did not reach that invoice — an agent's
-- termination at 10:00 after a 02:00 night, a backdated reception. Recording such an event sets
-- known_on to the day after the last invoice already issued, so the next invoice adjusts what that one
-- billed in advance without it (the days beyond an end credited, a power or option change re-priced).
-- Null = received_on (every event recorded before this migration: as before).
alter table contract_event add column known_on date null;
alter table contract_event add constraint contract_event_known_after_received check (known_on is null or known_on > received_on);
