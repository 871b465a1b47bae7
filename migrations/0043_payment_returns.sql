-- 0043 — payments that come back (rejet de prélèvement, chèque impayé) and late-payment penalties that follow
-- the payments known (R3 · CGV 6.4 « à compter de la date de réception du paiement »; R4 · CGV 6.5).
--
-- A returned payment is a record of its own referencing the payment, append-only: the payment row is never
-- edited. Reading (docs/payments.md): a returned payment is not a payment received — from the night the return
-- is known, the returned amount counts as never received: the items it settled are owed again, late from
-- their due date, and a credit it made is not refunded. One return per payment, never more than it paid.
create table payment_return (
  -- The bank's reference of the return (the idempotency key of the return file).
  reference          text primary key,
  payment_reference  text not null unique references payment (reference),
  customer_id        text not null references customer (id),
  -- The day the money went back (the bank's return date).
  returned_on        date not null,
  amount             numeric not null check (amount > 0),
  reason             text null,
  source_file        text null,
  recorded_at        timestamptz not null default now()
);
create index payment_return_customer on payment_return (customer_id, returned_on);

-- The return names its payment's customer, never returns more than the payment and never precedes it.
create function check_payment_return() returns trigger
language plpgsql as $$
declare p payment%rowtype;
begin
  select * into p from payment where reference = new.payment_reference;
  if new.customer_id <> p.customer_id then
    raise exception 'payment % is customer %''s, not %', p.reference, p.customer_id, new.customer_id using errcode = 'check_violation';
  end if;
  if new.amount > p.amount then
    raise exception 'return of % exceeds payment % of %', new.amount, p.reference, p.amount using errcode = 'check_violation';
  end if;
  if new.returned_on < p.received_on then
    raise exception 'return dated % before payment % was received (%)', new.returned_on, p.reference, p.received_on using errcode = 'check_violation';
  end if;
  return new;
end;
$$;
create trigger payment_return_checked before insert on payment_return
  for each row execute function check_payment_return();
create trigger payment_return_immutable before update or delete on payment_return
  for each row execute function forbid_change_of_account_history();
create trigger payment_return_no_truncate before truncate on payment_return
  for each statement execute function forbid_change_of_account_history();

-- R4: a refund decided and not paid whose credit a returned payment took away is cancelled, not paid
-- (`refunds due` leaves it out, `refunds paid` refuses it). What credit is left is decided again.
create table refund_cancellation (
  refund_id     bigint primary key references refund (id),
  cancelled_on  date not null,
  -- The return that took the credit away.
  return_reference text not null references payment_return (reference),
  explanation   text not null,
  recorded_at   timestamptz not null default now()
);
create trigger refund_cancellation_immutable before update or delete on refund_cancellation
  for each row execute function forbid_change_of_account_history();
create trigger refund_cancellation_no_truncate before truncate on refund_cancellation
  for each statement execute function forbid_change_of_account_history();

-- R3 (engine 0.3.5, ruleset penaltyFollowsPayments): a penalty or recovery indemnity already computed is
-- corrected by the difference when the payments known change its figure (a payment imported late, a return):
-- a charge of the same kind whose item is the item's followed by '/correction:<date>', negative when it lowers it.
alter table ledger_charge drop constraint ledger_charge_sign_check;
alter table ledger_charge add constraint ledger_charge_sign_check check (
  case
    when kind in ('lateRefundPenalty', 'longOutageCredit', 'missedAppointmentCredit') then amount < 0
    when kind = 'distributorService' and item_ref like '%/forceMajeure' then amount < 0
    when kind in ('latePaymentPenalty', 'recoveryIndemnity') and item_ref like '%/correction:%' then amount <> 0
    else amount >= 0
  end
);
