-- 0005 — smoothed → monthly billing at a plan anniversary (CGV 6.1). The customer's request to be
-- billed monthly again, dated; it takes effect at the first anniversary of the plan on or after that
-- date: the true-up closes the plan year, no plan follows, and the nightly run sets billing_mode to
-- 'monthly' and clears the request in the same transaction as the documents.

alter table contract add column switch_to_monthly_on date null;
