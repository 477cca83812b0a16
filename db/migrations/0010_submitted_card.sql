-- The message whose card the secretary pressed 确认提交 on (it then reads 待审定): once the
-- submission is decided, that card is updated to say so instead of still reading 待审定.
ALTER TABLE pledge_versions ADD COLUMN submitted_card_message_id TEXT;
