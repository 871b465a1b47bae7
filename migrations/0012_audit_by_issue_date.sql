-- Finance audit over a range (issue 12 point 4, `billing audit --from D1 --to D2`): documents are read
-- by keyset pages on (issue_date, id); this index makes each page a range scan, whatever the size of
-- the invoice table.
create index invoice_issue_date on invoice (issue_date, id);
