"""Customer management (客户管理): relationships, satisfaction, tiering, care and loyalty."""
