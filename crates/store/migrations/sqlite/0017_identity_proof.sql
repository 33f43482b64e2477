-- An address a user added for themselves (or an agent added for them) counts for nothing until
-- it is proven by the link mailed to it: not for routing inbound mail, signing in or mail sent
-- to the user. A pending claim yields to anyone who registers the address for real.
ALTER TABLE user_identities ADD COLUMN proof_pending BIGINT NOT NULL DEFAULT 0;
