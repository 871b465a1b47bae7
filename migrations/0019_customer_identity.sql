-- The invoice document (issue 17): what the printed invoice and a professional customer's Factur-X
-- name the customer by. A professional customer's SIREN (9 digits), SIRET of the establishment billed
-- (14 digits) and intra-community VAT number (EN 16931 BT-47, BT-48), and every customer's billing
-- address. Checksums (Luhn, La Poste, VAT key) are checked where a case is parsed (case/schema.ts);
-- the table keeps the shapes. All null on customers stored before this migration.
alter table customer add column siren text null check (siren ~ '^[0-9]{9}$');
alter table customer add column siret text null check (siret ~ '^[0-9]{14}$');
alter table customer add column vat_number text null check (vat_number ~ '^FR[0-9]{11}$');
-- {"lines": ["12 rue de la Paix"], "postcode": "75002", "city": "Paris", "countryCode"?: "FR"}
alter table customer add column address jsonb null;
alter table customer add constraint customer_identifiers_professional
  check (kind = 'professional' or (siren is null and siret is null and vat_number is null));
