-- Who the user speaks as in a conversation: the speaker of their messages ('' stands for the
-- paper's interviewer, "Man"). Until now it was the last user speaker of the conversation (a
-- dataset scene's other person, else "Man"): each conversation keeps speaking as it did.
ALTER TABLE conversations ADD COLUMN user_name TEXT NOT NULL DEFAULT '';
UPDATE conversations SET user_name = coalesce(
  (SELECT m.speaker FROM chat_messages m WHERE m.conversation_id = conversations.id AND m.role = 'user'
   ORDER BY m.seq DESC LIMIT 1), '');
