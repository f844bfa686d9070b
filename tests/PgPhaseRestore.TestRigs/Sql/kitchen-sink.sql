-- A database with many object kinds, the ones a four-phase restore must bring back exactly.
-- Loaded by a superuser into an empty database.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE SCHEMA app;
CREATE SCHEMA "odd; schema";
COMMENT ON SCHEMA app IS 'application schema';

CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN app.positive AS integer CHECK (VALUE > 0);

CREATE SEQUENCE app.ticket_seq START 1000;

CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.note := coalesce(NEW.note, '') || ' [trigger fired]';
  RETURN NEW;
END $$;

CREATE FUNCTION app.reject_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'rows may not be inserted into % while the trigger is active', TG_TABLE_NAME;
END $$;

-- Identity and generated columns, a unique index on expression, a trigram index.
CREATE TABLE app.customer (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL,
  name text NOT NULL,
  name_upper text GENERATED ALWAYS AS (upper(name)) STORED,
  mood app.mood NOT NULL DEFAULT 'ok',
  note text,
  CONSTRAINT customer_email_key UNIQUE (email)
);
CREATE INDEX customer_name_trgm ON app.customer USING gin (name gin_trgm_ops);
CREATE UNIQUE INDEX customer_lower_email ON app.customer (lower(email));
COMMENT ON INDEX app.customer_name_trgm IS 'trigram search on names';
COMMENT ON CONSTRAINT customer_email_key ON app.customer IS 'one account per address';

-- Partitioned table with a primary key, sub-partitions and a default partition.
CREATE TABLE app.orders (
  id bigint NOT NULL,
  customer_id bigint NOT NULL REFERENCES app.customer(id),
  placed date NOT NULL,
  region text NOT NULL,
  amount numeric(12,2) NOT NULL,
  PRIMARY KEY (id, placed)
) PARTITION BY RANGE (placed);
CREATE TABLE app.orders_2023 PARTITION OF app.orders FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE app.orders_2024 PARTITION OF app.orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
  PARTITION BY RANGE (placed);
CREATE TABLE app.orders_2024_h1 PARTITION OF app.orders_2024 FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
CREATE TABLE app.orders_2024_rest PARTITION OF app.orders_2024 DEFAULT;
CREATE TABLE app.orders_default PARTITION OF app.orders DEFAULT;
CREATE INDEX orders_customer_idx ON app.orders (customer_id);
CREATE INDEX orders_amount_idx ON app.orders (amount) WHERE amount > 100;
COMMENT ON INDEX app.orders_customer_idx IS 'orders by customer';

-- Foreign key into a partitioned table.
CREATE TABLE app.order_line (
  order_id bigint NOT NULL,
  placed date NOT NULL,
  line int NOT NULL,
  sku text NOT NULL,
  qty app.positive NOT NULL,
  PRIMARY KEY (order_id, placed, line),
  FOREIGN KEY (order_id, placed) REFERENCES app.orders (id, placed) ON DELETE CASCADE
);

-- Exclusion constraint with btree_gist; a deferrable unique constraint.
CREATE TABLE app.booking (
  id serial PRIMARY KEY,
  room int NOT NULL,
  during tsrange NOT NULL,
  slot int NOT NULL,
  CONSTRAINT booking_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&),
  CONSTRAINT booking_slot_key UNIQUE (slot) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON CONSTRAINT booking_no_overlap ON app.booking IS 'rooms are not double-booked';

-- Legacy rows that violate a NOT VALID check; a trigger that would change rows, one that would reject them.
CREATE TABLE app.legacy (
  id int PRIMARY KEY,
  qty int NOT NULL,
  note text
);

-- Row-level security, forced, with a policy that would filter the load.
CREATE TABLE app.secret_doc (
  id int PRIMARY KEY,
  owner_name text NOT NULL,
  body text
);

-- A rule, a view, a materialized view with a unique index.
CREATE TABLE app.audit_log (id bigserial PRIMARY KEY, what text NOT NULL, at timestamptz NOT NULL DEFAULT now());
CREATE VIEW app.big_orders AS SELECT id, placed, amount FROM app.orders WHERE amount > 100;
CREATE MATERIALIZED VIEW app.customer_totals AS
  SELECT c.id AS customer_id, count(o.id) AS orders, coalesce(sum(o.amount), 0) AS total
  FROM app.customer c LEFT JOIN app.orders o ON o.customer_id = c.id GROUP BY c.id;
CREATE UNIQUE INDEX customer_totals_pk ON app.customer_totals (customer_id);

-- Names with spaces and semicolons.
CREATE TABLE "odd; schema"."table with; semicolons" (
  "key; col" int PRIMARY KEY,
  "value col" text
);
CREATE INDEX "index; with spaces" ON "odd; schema"."table with; semicolons" ("value col");

-- Large objects.
SELECT lo_from_bytea(0, convert_to('first large object', 'UTF8'));
SELECT lo_from_bytea(0, decode(repeat('00ff', 5000), 'hex'));

-- Data.
INSERT INTO app.customer (email, name, mood)
SELECT 'user' || g || '@example.com', 'Customer ' || g, (ARRAY['sad','ok','happy']::app.mood[])[1 + g % 3]
FROM generate_series(1, 500) g;

INSERT INTO app.orders (id, customer_id, placed, region, amount)
SELECT g, 1 + g % 500, date '2023-01-01' + (g % 900), (ARRAY['eu','us','apac'])[1 + g % 3], (g % 250) + 0.5
FROM generate_series(1, 3000) g;

INSERT INTO app.order_line (order_id, placed, line, sku, qty)
SELECT o.id, o.placed, l, 'SKU-' || (o.id * l % 97), 1 + l
FROM app.orders o CROSS JOIN generate_series(1, 2) l;

INSERT INTO app.booking (room, during, slot)
SELECT g % 10, tsrange(timestamp '2024-01-01' + (g || ' hours')::interval, timestamp '2024-01-01' + ((g + 1) || ' hours')::interval), g
FROM generate_series(1, 200) g;

INSERT INTO app.legacy VALUES (1, -5, 'negative quantity from the old system'), (2, 10, 'fine'), (3, 0, 'zero');
INSERT INTO app.secret_doc VALUES (1, 'alice', 'alice''s document'), (2, 'bob', 'bob''s document');
INSERT INTO "odd; schema"."table with; semicolons" VALUES (1, 'one'), (2, 'two; still two');
SELECT setval('app.ticket_seq', 4242);
REFRESH MATERIALIZED VIEW app.customer_totals;

-- Objects that must come after the data.
ALTER TABLE app.legacy ADD CONSTRAINT legacy_qty_positive CHECK (qty > 0) NOT VALID;
CREATE TRIGGER legacy_touch BEFORE INSERT ON app.legacy FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE TRIGGER order_line_reject BEFORE INSERT ON app.order_line FOR EACH ROW EXECUTE FUNCTION app.reject_all();
CREATE TRIGGER customer_touch BEFORE INSERT ON app.customer FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.secret_doc ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.secret_doc FORCE ROW LEVEL SECURITY;
CREATE POLICY only_alice ON app.secret_doc USING (owner_name = 'alice');
CREATE RULE log_booking AS ON INSERT TO app.booking DO ALSO INSERT INTO app.audit_log (what) VALUES ('booking');
COMMENT ON TRIGGER legacy_touch ON app.legacy IS 'marks rows inserted after the restore';
CREATE STATISTICS app.orders_stats (dependencies) ON customer_id, region FROM app.orders_2023;
GRANT USAGE ON SCHEMA app TO PUBLIC;
GRANT SELECT ON app.big_orders TO PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO PUBLIC;
