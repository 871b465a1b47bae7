-- R10 · CGV 9.1: a customer's procedure is opened on its oldest overdue item; once settled, a later
-- procedure of the same customer may open on the same item (still partly owed when the first one
-- settled under the policy's minimum balance, then joined by a new unpaid invoice). One procedure per
-- (customer, item, opening day): the night that opens it twice still opens it once.
alter table dunning_procedure drop constraint dunning_procedure_customer_id_item_ref_key;
alter table dunning_procedure add constraint dunning_procedure_customer_id_item_ref_opened_on_key unique (customer_id, item_ref, opened_on);
