-- What the sender checks found (JSON: spf, dkim, dmarc, policy, aligned), for each message.
ALTER TABLE inbound_messages ADD COLUMN authentication TEXT;
-- How many tickets one sender's mail made lately (a flood past a limit is held).
CREATE INDEX inbound_messages_by_sender ON inbound_messages (sender, created_at);
