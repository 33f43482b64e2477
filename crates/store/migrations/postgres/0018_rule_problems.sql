-- A rule whose actions could no longer apply (a group deleted, an agent demoted or gone): the
-- write went through without them, and the rule is flagged here for the admin until it is next
-- saved. Past a number of failures the rule is deactivated.
CREATE TABLE rule_problems (
    rule_id BIGINT PRIMARY KEY,
    failures BIGINT NOT NULL,
    message TEXT NOT NULL,
    at BIGINT NOT NULL
);
