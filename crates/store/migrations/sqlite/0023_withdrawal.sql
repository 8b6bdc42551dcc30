-- A private client's right of withdrawal (consumer code L221-18): the last day it may withdraw
-- (14 days from the acceptance, to the next working day), whether it asked for the work to
-- start sooner (L221-25, also kept with the acceptance's evidence), and its withdrawal.
ALTER TABLE purchase_orders ADD COLUMN withdrawal_ends_on TEXT;
ALTER TABLE purchase_orders ADD COLUMN early_start BIGINT;
ALTER TABLE purchase_orders ADD COLUMN withdrawn_at TEXT;
ALTER TABLE purchase_orders ADD COLUMN withdrawal_amount TEXT;
ALTER TABLE quotes ADD COLUMN accept_early_start BIGINT;
