-- A client's messages, for its data export and its unread threads, without reading every
-- thread's: by client, in order.
CREATE INDEX messages_client ON messages (client_id, id);
