-- R9 · Synthèse 2.2 (rendez-vous manqués), RULES.md R9: the wasted-trip fee re-billed for an appointment
-- the customer missed is « refunded if the customer proves force majeure ». The proof usually comes after
-- the fee was billed: the refund is the fee's line negated, with its VAT — a distributorService charge of
-- negative amount whose item is the fee's followed by '/forceMajeure' (billing distributor force-majeure).
alter table ledger_charge drop constraint ledger_charge_sign_check;
alter table ledger_charge add constraint ledger_charge_sign_check check (
  case
    when kind in ('lateRefundPenalty', 'longOutageCredit', 'missedAppointmentCredit') then amount < 0
    when kind = 'distributorService' and item_ref like '%/forceMajeure' then amount < 0
    else amount >= 0
  end
);
