-- current
CREATE TABLE teams (id INT PRIMARY KEY);
CREATE TABLE players (id INT PRIMARY KEY, team_id INT NULL);
INSERT INTO teams VALUES (1);
INSERT INTO players VALUES (1, 1), (2, NULL);
-- desired
CREATE TABLE teams (id INT PRIMARY KEY);
CREATE TABLE players (id INT PRIMARY KEY, team_id INT NULL, CONSTRAINT fk_players_team FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE SET NULL);
-- expect
add_foreign_key fk_players_team
