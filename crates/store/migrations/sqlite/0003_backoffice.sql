-- The team's contact log on an order ("called the client about the shoot date").
CREATE TABLE contact_log (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    author TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX contact_log_order ON contact_log (order_id);
