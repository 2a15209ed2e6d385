-- current
CREATE TYPE status AS ENUM ('new', 'done');
-- desired
CREATE TYPE status AS ENUM ('new', 'paid', 'done', 'void');
-- expect
add_enum_value status.paid
add_enum_value status.void
