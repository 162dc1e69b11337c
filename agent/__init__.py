"""The LangGraph conversational recommender agent."""
