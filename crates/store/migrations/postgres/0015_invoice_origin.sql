-- What an invoice comes from, as issued: the accepted quote (number, version, title as the
-- invoice's subject) and the property where the service was performed (the request's
-- address, when the quote came from a request). Invoices issued before carry the same,
-- read from their purchase order, quote and request.
ALTER TABLE invoices ADD COLUMN quote_number TEXT;
ALTER TABLE invoices ADD COLUMN quote_version BIGINT;
ALTER TABLE invoices ADD COLUMN subject TEXT;
ALTER TABLE invoices ADD COLUMN property_address TEXT;
UPDATE invoices SET
    quote_number = (SELECT p.quote_number FROM orders o JOIN purchase_orders p ON p.id = o.purchase_order_id
                    WHERE o.id = invoices.order_id),
    quote_version = (SELECT p.quote_version FROM orders o JOIN purchase_orders p ON p.id = o.purchase_order_id
                     WHERE o.id = invoices.order_id),
    subject = (SELECT q.title FROM orders o JOIN purchase_orders p ON p.id = o.purchase_order_id
               JOIN quotes q ON q.id = p.quote_id WHERE o.id = invoices.order_id),
    property_address = (SELECT r.property_address FROM orders o JOIN purchase_orders p ON p.id = o.purchase_order_id
                        JOIN quotes q ON q.id = p.quote_id JOIN quote_requests r ON r.id = q.request_id
                        WHERE o.id = invoices.order_id);
