-- The model of the call that wrote a scene is written by the statements that write the scene
-- (`DatasetRepo.insertScene`) and its experience (`storeSceneFigures`), the only writers that name
-- a call: a person's scenes, copies and imports have none. The insert trigger that looked the model
-- up for writers leaving it out has nothing left to do.
DROP TRIGGER scenes_model_insert;
