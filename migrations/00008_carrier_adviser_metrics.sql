-- +goose Up
-- Two governance facts become compliance metrics: the kinds of publicity
-- carriers at a village's rule-of-law culture position (场景设置不少于5种宣传载体)
-- and a legal adviser in office (一村(社区)一法律顾问). The first decides
-- review standard B7 with the culture activities and board updates, the
-- second the computed part of B5 (inspection findings still apply).

INSERT INTO settings (key, valid_from, value, note) VALUES
  ('threshold.culture_carrier_kinds', '2000-01-01', '5',
   'kinds of publicity carriers (courtyard, square, corridor, board, screen, park, library, other) at a village''s culture position, at least'),
  ('interpret.culture_carrier_other_counts', '2000-01-01', 'true',
   'carriers of kind other together count as one kind of carrier (true), or not at all (false); several of them are never several kinds');

-- B5 is now computed (legal_adviser) from the review year's snapshots, like
-- the other computed standards. A missing key already meant offset 0, so no
-- evaluation changes; the key makes the setting list every computed standard.
UPDATE settings SET value = value || '{"B5": 0}'
WHERE key = 'review.metric_year_offsets' AND value -> 'B5' IS NULL;

-- +goose Down
UPDATE settings SET value = value - 'B5' WHERE key = 'review.metric_year_offsets';
DELETE FROM settings WHERE key IN ('threshold.culture_carrier_kinds', 'interpret.culture_carrier_other_counts');
